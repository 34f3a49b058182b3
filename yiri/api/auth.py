"""Exchanging a user name and password for an API token, and giving it back.

Accounts that must pass a second factor (``accounts/two_factor.py``) also send ``otp``, a
code of their authentication app or a recovery code; a token is never issued on a password
alone for them, so every token is as strong as a full sign-in on the site.

The password goes through ``django.contrib.auth.authenticate`` with the request, so the
lockout backend counts failures and the audit signals record the failed attempt; a
successful exchange is a login and is recorded as one.
"""

from __future__ import annotations

from django.contrib.auth import authenticate, user_logged_in, user_logged_out
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from yiri.accounts import tokens, two_factor
from yiri.accounts.models import ApiToken
from yiri.accounts.throttle import INVALID_LOGIN

from .common import AUTHENTICATION, errors, parse

# The same words as the login page, for every refusal (unknown name, wait running…).
INVALID = INVALID_LOGIN
INVALID_CODE = _("Code de double authentification incorrect ou déjà utilisé. Après plusieurs "
                 "erreurs, il faut attendre quelques minutes.")
NOT_ENROLLED = _("Ce compte doit d'abord activer la double authentification : connectez-vous "
                 "une fois à l'application web.")


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False,
                                     style={"input_type": "password"})
    otp = serializers.CharField(
        max_length=32, required=False, allow_blank=True,
        help_text="The 6-digit code of the authentication app (or a recovery code): required "
                  "for accounts that can read identifying data.")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenView(APIView):
    authentication_classes = AUTHENTICATION

    def get_authenticators(self):
        # Only the deletion needs a signed-in user; exchanging credentials must not trip
        # over a stale token or a session without CSRF token.
        return [] if getattr(self.request, "method", None) == "POST" else super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(summary="Exchange a user name and password for a token",
                   description="Wrong passwords and wrong codes count towards the account lockout. "
                               "Accounts that can read identifying data must send `otp`.",
                   request=CredentialsSerializer, responses={200: TokenSerializer, **errors(400)},
                   auth=[])
    def post(self, request: Request) -> Response:
        credentials = parse(CredentialsSerializer, request.data)
        code = credentials.pop("otp", "")
        http_request = request._request
        user = authenticate(http_request, **credentials)
        if user is None:
            return Response({"errors": {"__all__": [str(INVALID)]}},
                            status=status.HTTP_400_BAD_REQUEST)
        if two_factor.required_for(user):
            # A token is a full sign-in: the second factor first (counted like a password).
            if two_factor.device_of(user) is None:
                return Response({"errors": {"otp": [str(NOT_ENROLLED)]}},
                                status=status.HTTP_400_BAD_REQUEST)
            if not two_factor.verify(http_request, user, code):
                return Response({"errors": {"otp": [str(INVALID_CODE)]}},
                                status=status.HTTP_400_BAD_REQUEST)
        key = tokens.issue(user)  # a new one at each sign-in, kept as a hash
        user_logged_in.send(sender=type(user), request=http_request, user=user)
        return Response({"token": key})

    @extend_schema(summary="Revoke your token (sign out)", request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        if isinstance(request.auth, ApiToken):
            request.auth.delete()  # this token only: the user's other devices stay signed in
        user_logged_out.send(sender=type(request.user), request=request._request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
