// Behaviour for the ordering feature (progressive enhancement; the page works without it).
