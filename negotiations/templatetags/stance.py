from django import template

register = template.Library()


@register.filter
def signed(value: int | None) -> str:
    """A stance value as the codebook writes it: −2, −1, 0, +1, +2."""
    if value is None or value == "":
        return ""
    value = int(value)
    return f"+{value}" if value > 0 else f"−{-value}" if value < 0 else "0"


@register.simple_tag
def stance(low: int, high: int) -> str:
    """A position: one value, or the range of a day whose statements disagree."""
    return signed(low) if low == high else f"{signed(low)}…{signed(high)}"


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key, [])


@register.filter
def markdown_escape(text: str) -> str:
    """Text that Markdown prints as it is (quotes may hold *, _, [ or backticks)."""
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text
