"""``ruam serve``: the long-running service.

``supervisor`` opens the database, starts the web app and the scheduler in one
process or N worker processes on one port; ``scheduler`` is the APScheduler
wiring and the leader election (one process ticks). What the service reports
about itself is read back by ``engine.status`` (a query, used by ``ruam
status``). Import the submodules directly.
"""
