"""Request and response shapes of accounts and sessions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from content.schemas.professionals import Speaker
from kernel.vocabulary import Role
from kernel.web.bodies import Strict
from kernel.web.text import HandleText, PlainLines

HANDLE = r"^[\w\-.]{2,30}$"


class AccountIn(Strict):
    handle: HandleText = Field(pattern=HANDLE, description="2-30 letters (Chinese included), digits, _ - .")
    password: str = Field(min_length=8, max_length=128)
    birth_date: date
    guardian_consent: bool = False
    guardian_email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$",
                                       description="under 14: the guardian who confirms by an emailed link")


class SessionIn(Strict):
    handle: HandleText = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=128)


class MePatch(Strict):
    handle: HandleText | None = Field(None, pattern=HANDLE)
    avatar_media_id: str | None = Field(None, max_length=40)
    bio: PlainLines | None = Field(None, max_length=500)


class RoleIn(Strict):
    role: Role


class PasswordChangeIn(Strict):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=8, max_length=128)


class DeleteMeIn(Strict):
    password: str = Field(min_length=1, max_length=128)
    content: Literal["delete", "anonymize"]


class Avatar(BaseModel):
    id: str
    url: str | None = None


class AccountOut(BaseModel):
    id: str
    handle: str
    role: Role
    bio: str
    avatar: dict[str, object] | None
    created_at: datetime
    counts: dict[str, int] = Field(default_factory=dict, description="published, non-anonymous posts")
    follower_count: int = Field(0, description="how many members follow the account (never who)")
    followed: bool = Field(False, description="whether the caller follows the account")
    verified: Speaker | None = Field(None, description="the clinic (as its staff) or the doctor an admin verified "
                                                       "this account as")


class MeOut(AccountOut):
    birth_date: date | None
    email: str | None = Field(None, description="the address mail goes to, once verified")
    email_verified: bool = Field(False, description="whether the member typed back the code mailed to `email`")
    birth_date_corrected: bool = Field(False, description="whether the one correction of the birth date is used")
    awaiting_guardian: bool = Field(False, description="under 14: reads only until the guardian confirms by email")
    policy_version_accepted: str | None = Field(None, description="the version of the policies last accepted")
    policy_update_pending: bool = Field(False, description="a newer version awaits acceptance before writing again")
    status: str
    version: int
    avatar_media_id: str | None


class SessionOut(BaseModel):
    token: str
    account: MeOut
