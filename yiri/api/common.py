"""What every API view shares: how it authenticates, parses and describes its errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from .serializers import DetailSerializer, ErrorSerializer


def token_expired(token: Token) -> bool:
    """Tokens live ``YIRI_API_TOKEN_HOURS`` (12) hours: on a shared PC or a lost phone a
    forgotten token must not open the records for ever."""
    hours = getattr(settings, "YIRI_API_TOKEN_HOURS", 12)
    return token.created < timezone.now() - dt.timedelta(hours=hours)


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            token.delete()
            raise AuthenticationFailed(_("Jeton expiré : demandez-en un nouveau."))
        return user, token


AUTHENTICATION = [ExpiringTokenAuthentication, SessionAuthentication]


def parse(serializer_class: type[serializers.Serializer], data: Any) -> dict:
    """Validated request data, or a 400 with the messages per field."""
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return s.validated_data


_DESCRIBED = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid request: messages per field."),
    403: OpenApiResponse(DetailSerializer, description="Your role does not allow this."),
    404: OpenApiResponse(DetailSerializer, description="No such record, or not visible to you."),
    409: OpenApiResponse(DetailSerializer, description="Changed by someone else meanwhile."),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI descriptions of the error responses ``codes``."""
    return {code: _DESCRIBED[code] for code in codes}
