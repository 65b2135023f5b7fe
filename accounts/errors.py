"""Domain errors of credentials: logins, one-time keys, passwords and tokens."""

from config.errors import InvalidInput, RateLimited


class InvalidCredentials(InvalidInput):
    """Any failed login; deliberately says nothing about which part was wrong."""

    code = "invalid_credentials"
    message = "Failed to authenticate user."


class LoginThrottled(RateLimited):
    code = "login_throttled"
    message = "Too many attempts. Try again later."


class PasswordResetKeyInvalid(InvalidInput):
    code = "password_reset_key_invalid"
    message = "The restore password key is not valid."


class EmailConfirmationKeyInvalid(InvalidInput):
    code = "email_confirmation_key_invalid"
    message = "This email confirmation code is invalid or has been already used."


class PasswordMismatch(InvalidInput):
    code = "password_mismatch"
    message = "Value in field password should be identical to value in the confirmPassword field."


class CurrentPasswordWrong(InvalidInput):
    code = "current_password_wrong"
    message = "The current password is not correct."


class RefreshTokenInvalid(InvalidInput):
    code = "refresh_token_invalid"
    message = "Failed to refresh token."
