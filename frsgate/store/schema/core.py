"""Tables of the domain entities (users, cases, providers, probes, submissions...)."""
