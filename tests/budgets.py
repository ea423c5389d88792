"""Query budgets shared by the tests of several features.

The practice page and home page show every feature's section, so their budgets
are set here once: each is the whole page's count, and the tests assert it at
two data sizes so it cannot grow with data.
"""

# A cold view: session (from Postgres: it must survive a Redis outage), user, lesson + course, 6 content
# prefetches, the progress row's version, self-check attempts, prediction submissions + their ticks + drafts,
# flashcard states + reveals + study settings + the rating to undo, ordering attempts.
PRACTICE_PAGE = 18
# A warm view (content and the student's records cached, selectors.practice_page.student_records): session,
# user, lesson + course, the progress row's version, then what is read on every view: prediction drafts,
# flashcard reveals, study settings, the rating to undo.
PRACTICE_PAGE_WARM = 8
# session, user, courses + lessons, lesson progress (the lesson totals and the kept rows), due-card summary (4),
# reviews per study day of the last week (the Today page's daily goal, issue 17).
HOME = 11
# After any activity: is the lesson linked to an LMS gradebook for this student? (services.lti.scores_enqueue)
LTI_SCORE_CHECK = 1
# A first try on the practice page (a self-check verdict, an ordering exercise solved or revealed) is the item's
# first review (issue 18): study settings, savepoint, lock the item's state, savepoint + insert + release of the
# new state, the review log, release.
FIRST_REVIEW = 8
