"""The password rule: one function every door that sets a password asks (own change, an
administrator's create or reset, ``flask users add``, first start, demo accounts)."""
import re
from typing import Iterable, Optional

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
# zxcvbn's score, 0-4: 3 means an estimated 10^8 guesses or more, out of reach of guessing through
# the login form (throttled) and costly against a stolen hash; below it a new password is refused.
MIN_PASSWORD_SCORE = 3
# Words anyone would try first against this system (NIST SP 800-63B: "context-specific words").
SITE_WORDS = ("zhenggai", "rectify", "taizhang", "zhenggaitaizhang", "duban", "xuncha", "xunshi", "admin")
TRY_ANOTHER = "请换一个更长、无规律的密码。"


def password_problem(password: str, username: str = "", personal: Iterable[Optional[str]] = ()) -> str | None:
    """Why a new password is not acceptable, or None when it is; every door that sets one asks.

    ``personal``: what else a guesser knows about its owner (name, e-mail, phone number).
    """
    if password != password.strip():
        return "密码不能以空格开头或结尾。"
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少需要 {MIN_PASSWORD_LENGTH} 位。"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"密码不能超过 {MAX_PASSWORD_LENGTH} 位。"
    kinds = sum(
        [
            any(ch.isalpha() for ch in password),
            any(ch.isdigit() for ch in password),
            any(not ch.isalnum() for ch in password),
        ]
    )
    if kinds < 2:
        return "密码需包含字母、数字、符号中的至少两类。"
    if username and username.lower() in password.lower():
        return "密码不能包含用户名。"
    return _guessable(password, [username, *personal])


def _guessable(password: str, personal: list) -> str | None:
    """Why zxcvbn rates ``password`` easy to guess (in Chinese), or None."""
    from zxcvbn import zxcvbn  # 14 MB of word lists: loaded only by a process that sets passwords

    words = []  # "gang.wu@example.gov.cn" gives itself, "gang.wu", "gang", "example" and "gov"
    for item in (item.lower() for item in personal if item):
        words += [item, item.partition("@")[0], *(part for part in re.split(r"[^0-9a-z]+", item) if len(part) >= 3)]
    result = zxcvbn(password, user_inputs=[*words, *SITE_WORDS], max_length=MAX_PASSWORD_LENGTH)
    if result["score"] >= MIN_PASSWORD_SCORE:
        return None
    # Like zxcvbn's own feedback: the longest guessable part explains the verdict.
    parts = sorted((m for m in result["sequence"] if m["pattern"] != "bruteforce"), key=lambda m: -len(m["token"]))
    return f"{_weakness(parts[0]) if parts else '密码强度不足，容易被猜中。'}{TRY_ANOTHER}"


def _weakness(match: dict) -> str:
    pattern = match["pattern"]
    if pattern == "dictionary":
        source = match["dictionary_name"]
        if source == "user_inputs":
            if match["matched_word"] in SITE_WORDS:
                return f"密码以本系统的名称等常用词（如 {match['matched_word']}）为主，容易被猜中。"
            return "密码含有您的用户名、电子邮箱或手机号码等个人信息，容易被猜中。"
        if source == "passwords":
            if match.get("l33t") or match.get("reversed"):
                return "该密码与常见密码相似（只替换了个别字符或倒写），容易被猜中。"
            return "该密码过于常见，容易被猜中。"
        if source in ("surnames", "male_names", "female_names"):
            return "密码以常见人名为主，容易被猜中。"
        return "密码以常见英文单词为主，容易被猜中。"
    return {
        "spatial": "密码是键盘上相邻的按键（如 qwerty、1qaz2wsx），容易被猜中。",
        "repeat": "密码由重复字符组成，容易被猜中。",
        "sequence": "密码含有连续的字母或数字（如 abcd、1234），容易被猜中。",
        "regex": "密码以年份为主，容易被猜中。",
        "date": "密码以日期为主，容易被猜中。",
    }.get(pattern, "密码强度不足，容易被猜中。")
