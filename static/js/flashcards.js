// Behaviour for the flashcards feature (progressive enhancement; the page works without it).
