"""The supervision calendar of seed §3–§4, in the domain (pure, no clock):

``schedule`` — occurrences, windows, due days, reminder plans, who is responsible;
``texts`` — the notifications' Thai texts; ``fold`` — the fold of calendar records
and the audit's bilingual problems; ``audit`` — the calendar's rules as the audit
checks them (``CalendarExtension``). Import the submodules directly.
"""
