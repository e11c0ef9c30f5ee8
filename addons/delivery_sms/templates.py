# This file is part of the Delivery CRM for Tryton.
"""SMS templates: placeholders in braces, free of the ORM.

A template's text names what it needs in braces: ``{customer}``,
``{order}``, ``{tracking_link}``, ``{window}``, ``{courier}``, ``{amount}``,
``{company}``, ``{optout_link}``; ``{{`` and ``}}`` write a brace.
``check`` refuses unknown names and broken braces (so that a typo is
caught when the template is saved, not when a thousand customers get
"{custmer}"); ``render`` fills the placeholders, leaving empty the ones a
message has no value for.
"""
import string

PLACEHOLDERS = (
    'customer', 'order', 'tracking_link', 'window', 'courier', 'amount',
    'company', 'optout_link')


class TemplateError(ValueError):
    "A template text with an unknown placeholder or a lone brace"

    def __init__(self, message, names=()):
        super().__init__(message)
        self.names = tuple(names)


def placeholders(text):
    """The placeholder names of text in order of appearance, each once;
    TemplateError for a lone brace or a format spec"""
    names = []
    try:
        parsed = list(string.Formatter().parse(text or ''))
    except ValueError as error:
        raise TemplateError(str(error)) from error
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            raise TemplateError(f"bad placeholder {{{name}}}", [name])
        if name not in names:
            names.append(name)
    return names


def check(text):
    "Raise TemplateError unless every placeholder of text is known"
    unknown = [n for n in placeholders(text) if n not in PLACEHOLDERS]
    if unknown:
        raise TemplateError(
            "unknown placeholder " + ', '.join(f'{{{n}}}' for n in unknown),
            unknown)


def render(text, values):
    """text with its placeholders replaced by values (str() of each;
    missing or None: empty)"""
    check(text)
    out = []
    for literal, name, _, _ in string.Formatter().parse(text or ''):
        out.append(literal)
        if name is not None:
            value = values.get(name)
            out.append('' if value is None else str(value))
    return ''.join(out)
