from django.contrib import admin

from dangol.accounts.models import ApiKey, AuditEntry, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("email", "name")
    exclude = ("password",)
    readonly_fields = ("last_login", "date_joined")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "created_by", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "secret_hash", "created_by", "last_used_at")

    def has_add_permission(self, request: object) -> bool:
        # Keys are issued on the API keys page, which shows the secret once.
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
