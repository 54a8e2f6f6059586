from django.contrib import admin

from dangol.customers.models import Consent, Customer, ImportJob, Order, OrderLine, Product


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("external_id", "name", "email", "phone", "region", "joined_at")
    search_fields = ("external_id", "name", "email", "phone")
    list_filter = ("language", "gender")
    inlines = [ConsentInline]
    show_full_result_count = False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("external_id", "name", "category", "price", "currency", "active")
    search_fields = ("external_id", "name")
    list_filter = ("category", "active")


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ("product",)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("external_id", "customer", "ordered_at", "total_amount", "currency", "status")
    search_fields = ("external_id",)
    list_filter = ("status", "channel")
    raw_id_fields = ("customer",)
    inlines = [OrderLineInline]
    show_full_result_count = False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("file_name", "kind", "status", "rows_done", "rejected_count", "created_at")
    readonly_fields = [f.name for f in ImportJob._meta.fields]
