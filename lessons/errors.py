"""The one way a service (or a selector) says no.

Services raise ``ApplicationError`` with the message a person reads and the HTTP
status it deserves (400 bad input, 404 no such thing of yours, 409 out of date);
``lessons.middleware.ApplicationErrorMiddleware`` turns it into the alert response
in one place (HackSoft styleguide's ``ApplicationError``). A view catches it only
to add something to the answer, as the flashcard views redraw a stale card.
"""


class ApplicationError(Exception):
    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status
