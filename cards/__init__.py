"""Pure card builders: frozen view models in, Adaptive Card 1.5 dicts out. No I/O."""
