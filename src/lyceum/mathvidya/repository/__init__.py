"""All of Mathvidya's SQL, one module per area. Functions take the caller's session and flush
at most: the edge commits."""
