// Behaviour for the prediction feature (progressive enhancement; the page works without it).
