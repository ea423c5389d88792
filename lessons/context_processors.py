def theme(request):
    """The colour theme the user chose in Settings ("light", "dark"), or "" to follow the system.

    Read from the session (copied there at log-in and when saved) so no page pays a query for it.
    """
    session = getattr(request, "session", None)
    theme = session.get("theme", "") if session is not None and request.user.is_authenticated else ""
    return {"theme": theme}
