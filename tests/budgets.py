"""Query budgets shared by the tests of several features.

The practice page and home page show every feature's section, so their budgets
are set here once: each is the whole page's count, and the tests assert it at
two data sizes so it cannot grow with data.
"""

# A cold view: session (from Postgres: it must survive a Redis outage), user, lesson + course, 6 content
# prefetches, the progress row's version, self-check attempts, prediction submissions with their ticks + drafts,
# the review states of every item of the lesson with the student's switches + flashcard reveals + study
# settings + the rating to undo, ordering attempts.
PRACTICE_PAGE = 17
# A warm view (content and the student's records cached, selectors.practice_page.student_records): session,
# user, lesson + course, the progress row's version, then what is read on every view: prediction drafts,
# flashcard reveals, study settings, the rating to undo.
PRACTICE_PAGE_WARM = 8
# session, user, courses + lessons, lesson progress (the lesson totals and the kept rows), due-card summary (1: the
# review queue's statement, the dates that matter included; EXAM_DATES more when there are any),
# reviews per study day of the last week (the Today page's daily goal, issue 17).
HOME = 9
# After any activity: has the lesson a gradebook column? (services.lti.scores_enqueue: the student's links to it are read
# only when it has)
LTI_SCORE_CHECK = 1
# The review queue (the home page's count, /review/, its fragments) reads the dates that matter to the student
# (an exam they set, a class's expected-by date) in its own statement; when there are dates, one more query reads
# the items they may bring forward (issue 18).
EXAM_DATES = 1
# A first try on the practice page (a self-check verdict, an ordering exercise solved or revealed) is the item's
# first review (issue 18): study settings, savepoint, lock the item's state, savepoint + insert + release of the
# new state, the review log, release.
FIRST_REVIEW = 8
# The fragment redrawn after a first try or a practice try says whether the item is in the student's reviews and
# when it comes back (issue 18): its state (with the lesson's review switches, in the same query) and the study
# settings (the student's zone and study day). Only after a verdict, a solve or "Show answer": never on a wrong check.
REVIEW_NOTE = 2
