# This file is part of the Delivery CRM for Tryton.
"""unittest's command line, printing the slowest tests at the end as
pytest's --durations does (doctests included; the set-up of a class counts
for its first test).

    python tests/unittest_timed.py [--durations N] NAME ...
"""
import sys
import time
import unittest


class TimedResult(unittest.TextTestResult):
    "Each test's time since the end of the one before: its setups included"
    durations = []
    last = None

    def startTestRun(self):
        TimedResult.last = time.monotonic()
        super().startTestRun()

    def stopTest(self, test):
        super().stopTest(test)
        now = time.monotonic()
        self.durations.append((now - TimedResult.last, str(test)))
        TimedResult.last = now

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        # one line per skip, as pytest -rs prints them: tests/run.py reads
        # them
        self.stream.write(f"\nSKIPPED {test}: {reason}\n")
        self.stream.flush()


class TimedRunner(unittest.TextTestRunner):
    resultclass = TimedResult
    count = 15

    def run(self, test):
        result = super().run(test)
        slowest = sorted(TimedResult.durations, reverse=True)[:self.count]
        self.stream.write(
            f"\n=== slowest {len(slowest)} tests (with the set-ups of "
            "their class and module)\n")
        for duration, name in slowest:
            self.stream.write(f"{duration:8.1f} s  {name}\n")
        self.stream.flush()
        return result


def main(argv):
    if argv[:1] == ['--durations']:
        TimedRunner.count = int(argv[1])
        argv = argv[2:]
    unittest.main(module=None, argv=['unittest', *argv],
        testRunner=TimedRunner)


if __name__ == '__main__':
    main(sys.argv[1:])
