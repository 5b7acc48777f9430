"""Messages for people: several reasons read as one sentence."""


def one_sentence(messages) -> str:
    """Several messages as one sentence: 请填写进展情况；文件过大。 (never 。；)."""
    parts = [m.strip().rstrip("。；;") for m in messages if m and m.strip()]
    return "；".join(dict.fromkeys(parts)) + "。" if parts else ""
