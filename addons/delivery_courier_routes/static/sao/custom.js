// This file is part of the Delivery CRM for Tryton.
// Live progress of the plannings in sao: the plannings of the current tab
// that wait in the queue or run are read again every 1.5 s, so that their
// progress bar, state, message, trips and orders not assigned show without
// the dispatcher pressing Reload.  Nothing is read while the tab has unsaved
// changes or a previous read is under way; other models are left alone.
(function() {
    'use strict';
    const LIVE = {'delivery.trip.plan': ['queued', 'running']};
    const PERIOD = 1500;
    let busy = false;

    function liveIds(screen, states) {
        const ids = [];
        for (const record of screen.group || []) {
            const values = record._values || {};
            if ((record.id >= 0) && states.includes(values.state)) {
                ids.push(record.id);
            }
        }
        return ids;
    }

    function tick() {
        if (busy || !window.Sao || !Sao.Tab || !Sao.Tab.tabs
                || !Sao.Tab.tabs.get_current) {
            return;
        }
        const tab = Sao.Tab.tabs.get_current();
        const screen = tab && tab.screen;
        const states = screen && LIVE[screen.model_name];
        if (!states || !screen.group) {
            return;
        }
        if (screen.modified && screen.modified()) {
            return;
        }
        const ids = liveIds(screen, states);
        if (!ids.length) {
            return;
        }
        busy = true;
        try {
            jQuery.when(screen.reload(ids, false)).always(() => {
                busy = false;
            });
        } catch (error) {
            busy = false;
        }
    }

    window.setInterval(tick, PERIOD);
})();
