"""One recogniser for the whole bot: Swedish (and English) free text → an intent with slots."""
