"""How many queries each page runs, in one place for the tests that pin them
(tests/test_performance.py, tests/test_views_*.py). Every view is a first view: nothing is
cached, so these hold on SQLite and PostgreSQL, with or without Redis."""

# Every logged-in page reads its session (database sessions) and its member with their
# organization.
BASE = 2

# The candidate list: the filter form's jobs, members and clients, the count (the counts per
# status when filtered by status at most), the page's rows, my reminders due (nav). A cursor
# page adds the cursor row's lookup; a search is counted up to its cap beside its rows.
LIST_FIRST = BASE + 6
LIST_CURSOR_FIRST = BASE + 7
SEARCH_FIRST = BASE + 6
# Past the cap: the same two queries, the rows by name instead of best first.
SEARCH_CAPPED = SEARCH_FIRST

# The candidate page: the candidate, its events, its notes, the jobs (forms), my reminders
# due (nav), the candidate's reminders, its other addresses, and its probable duplicates
# (candidates/duplicates.py: the candidates by key, their addresses, their clients), its live
# private links and its recent emails (outreach/selectors.py). The history of changes is a
# page of its own.
DETAIL_FIRST = BASE + 12

# The candidate's history of changes: the candidate, then six queries whatever its length
# (the candidate's, its events' and its notes' history rows, the merges into it, the people
# and jobs they name; candidates/audit.py), the merges it can undo, my reminders due (nav).
AUDIT_FIRST = BASE + 9

# Today, by a manager (every panel): my reminders due today, stumbled rows and their count,
# pending rows, coming interviews, the counts per status, my reminders due (nav).
TODAY_FIRST = BASE + 7

# An event logged through the candidate page (no submission key, no job; it makes a
# reminder): the candidate and the jobs (the form), the candidate's lock, the member who
# records it (full_clean), the two check constraints, the event and its audit row; the
# re-evaluation: the candidate locked, its events, its notes (its last date and coming
# interview from the same rows), its stored result, the counts per status, the webhooks
# listening; the reminders it completes and makes, with their audit rows; and the
# savepoints of the nested transactions.
EVENT_WRITE = BASE + 23
