"""Training, testing and late fusion of action recognisers (the paper's recipes, from params/)."""
