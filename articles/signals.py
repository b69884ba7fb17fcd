"""What articles/ tells the rest of the product, without knowing who listens."""

from django.dispatch import Signal

# Sent (with article_id=...) once an article's clean text is stored and committed, and again when
# a new revision of its text is stored. negotiations/ listens to propose stance suggestions.
article_ready = Signal()
