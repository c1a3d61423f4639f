"""Danish self-service assistant for adult social services (Fronten, Ballerup Kommune)."""
