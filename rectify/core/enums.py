"""Enumerations stored by code (ASCII) and shown by their Chinese label."""
import enum

import sqlalchemy as sa
from wtforms import SelectChoice


class LabeledEnum(enum.Enum):
    """An enum whose value is a stable ASCII code and which carries a Chinese label."""

    def __new__(cls, code: str, label: str):
        member = object.__new__(cls)
        member._value_ = code
        member.label = label
        return member

    @classmethod
    def from_label(cls, label: str):
        for member in cls:
            if member.label == label:
                return member
        raise ValueError(label)

    @classmethod
    def choices(cls) -> list[SelectChoice]:
        """Options for a WTForms SelectField: code as value, Chinese label shown."""
        return [SelectChoice(member.value, member.label) for member in cls]

    def __str__(self) -> str:
        return self.label


def enum_column_type(enum_class) -> sa.Enum:
    """A VARCHAR holding the code, without a database enum type, so new codes need no ALTER."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=24,
        values_callable=lambda members: [member.value for member in members],
    )
