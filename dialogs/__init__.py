"""Multi-turn dialogs (botbuilder-dialogs): the host that runs them, and one module per dialog."""
