"""How many queries each page runs, in one place for the tests that pin them
(tests/test_performance.py, tests/test_views_*.py).

Every logged-in page reads its session: a query with database sessions (the embedded
default), none when Redis holds them (REDIS_URL, candidates/sessions_cached.py), which is how
CI runs. Everything else is the same on both.
"""

from django.conf import settings

SESSION = 0 if settings.SESSION_ENGINE == "candidates.sessions_cached" else 1

# The candidate list, first view (nothing cached): the user with their organization, the
# filter form's jobs, members and clients, the count, the page's rows, my reminders due (nav).
# A cursor page adds the cursor row's lookup; a search has its count in the rows' query.
LIST_FIRST = SESSION + 7
LIST_CURSOR_FIRST = SESSION + 8
SEARCH_FIRST = SESSION + 6
# Any page from the cache (org_cache.member_page): the user with their organization.
CACHED = SESSION + 1

# The candidate page, first view: the user, the candidate, events, notes, jobs, my reminders
# due, the candidate's reminders, and the history of changes (five queries: the candidate's,
# its events' and its notes' history rows, the people and the jobs they name; audit.py).
DETAIL_FIRST = SESSION + 12
# From the cache: the user. (A page is only ever stored under the member's organization and
# its current version, so a hit proves the candidate is theirs; a miss runs the view's 404.)
DETAIL_CACHED = SESSION + 1

# Today, first view by a manager (every panel): the user, my reminders due today, stumbled
# rows, pending rows, upcoming, status counts, stumbled count, my reminders due (nav).
TODAY_FIRST = SESSION + 8
# From the cache: the user.
TODAY_CACHED = SESSION + 1
