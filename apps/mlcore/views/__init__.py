"""Portal pages of the model app (mounted at /models/), one module per subject. Each view
parses input, calls a selector or a service, renders."""
