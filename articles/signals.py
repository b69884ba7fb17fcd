"""What articles/ tells the rest of the product, without knowing who listens."""

from django.dispatch import Signal

# Sent (with article_id=...) once an article's clean text is stored and committed, and again when
# a new revision of its text is stored. negotiations/ listens to propose stance suggestions.
article_ready = Signal()

# Sent (with article_id=... and revision=N) on commit when a later fetch found that the outlet
# edited an article's text and a new revision was stored. negotiations/ listens to flag the
# statements whose quote is no longer in the current text; articles/ never imports it.
article_revised = Signal()
