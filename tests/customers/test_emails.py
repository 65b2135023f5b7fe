"""The normal form of an email address (SPEC 12): pure rules, no database."""

import pytest
from django.core.exceptions import ValidationError

from customers.emails import email_account_key, normalise_email


def error_of(value, field="email") -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        normalise_email(value, field=field)
    ((key, [error]),) = caught.value.error_dict.items()
    return key, error.code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("x@example.com", "x@example.com", id="plain_case"),
        pytest.param("  x@example.com\t", "x@example.com", id="surrounding_spaces_case"),
        pytest.param("X.Y@EXAMPLE.COM", "X.Y@example.com", id="domain_lower_local_kept_case"),
        pytest.param("x@example.\uff43\uff4f\uff4d", "x@example.com", id="fullwidth_domain_case"),
        pytest.param("\uff58@example.com", "x@example.com", id="fullwidth_local_case"),
        pytest.param("x\uff20example.com", "x@example.com", id="fullwidth_at_sign_case"),
        pytest.param("x@m\u00fcnchen.de", "x@xn--mnchen-3ya.de", id="idna_domain_case"),
        pytest.param("x@M\u00dcNCHEN.DE", "x@xn--mnchen-3ya.de", id="idna_upper_domain_case"),
        pytest.param("x@mu\u0308nchen.de", "x@xn--mnchen-3ya.de", id="decomposed_umlaut_case"),
        pytest.param("x@xn--mnchen-3ya.de", "x@xn--mnchen-3ya.de", id="already_punycode_case"),
        pytest.param("\u2460@example.com", "1@example.com", id="circled_digit_case"),
        pytest.param("a+tag@example.com", "a+tag@example.com", id="plus_tag_kept_case"),
    ],
)
def test_normal_forms(value, expected):
    assert normalise_email(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param('"x"@example.com', id="quoted_case"),
        pytest.param('"x y"@example.com', id="quoted_space_case"),
        pytest.param('x"y@example.com', id="inner_quote_case"),
        pytest.param("x\\@y@example.com", id="backslash_case"),
        pytest.param("\uff02x\uff02@example.com", id="fullwidth_quotes_case"),
    ],
)
def test_quoted_local_parts_are_refused(value):
    assert error_of(value) == ("email", "email_quoted_local_part")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("x\u200b@example.com", id="zero_width_space_case"),
        pytest.param("x\u200d@example.com", id="zero_width_joiner_case"),
        pytest.param("x\u200c@example.com", id="zero_width_non_joiner_case"),
        pytest.param("\ufeffx@example.com", id="bom_case"),
        pytest.param("x@exam\u00adple.com", id="soft_hyphen_case"),
        pytest.param("x@example.com\u202e", id="bidi_override_case"),
        pytest.param("x\x00@example.com", id="nul_case"),
        pytest.param("x\n@example.com", id="newline_inside_case"),
        pytest.param("x\x7f@example.com", id="delete_case"),
        pytest.param("x\ud800@example.com", id="lone_surrogate_case"),
    ],
)
def test_control_and_invisible_characters_are_refused(value):
    assert error_of(value) == ("email", "email_invisible_characters")


def test_the_message_says_why():
    with pytest.raises(ValidationError) as caught:
        normalise_email('"x"@example.com', field="username")
    assert caught.value.message_dict == {
        "username": [
            "This value is not a valid email address: quoted local parts are not accepted."
        ]
    }


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="none_case"),
        pytest.param(42, id="number_case"),
        pytest.param("", id="empty_case"),
        pytest.param("   ", id="blank_case"),
    ],
)
def test_no_text_is_invalid(value):
    assert error_of(value, field="username") == ("username", "invalid")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("not-an-email", "not-an-email", id="no_at_case"),
        pytest.param("x@", "x@", id="no_domain_case"),
        pytest.param("x@a..com", "x@a..com", id="empty_label_case"),
    ],
)
def test_malformed_values_are_left_to_the_format_check(value, expected):
    assert normalise_email(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("X@Example.com", id="case_case"),
        pytest.param(" x@example.com ", id="spaces_case"),
        pytest.param("x@example.\uff43\uff4f\uff4d", id="fullwidth_case"),
    ],
)
def test_the_account_key_folds_variants(value):
    assert email_account_key(value) == "x@example.com"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, "", id="none_case"),
        pytest.param('"X"@Example.com', '"x"@example.com', id="quoted_case"),
        pytest.param("A\ud800", "a\ud800", id="lone_surrogate_case"),
    ],
)
def test_the_account_key_never_raises(value, expected):
    assert email_account_key(value) == expected
