"""Brand kits: the logo and colours of survey pages."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangol.accounts.actors import actor_from_request
from dangol.core.errors import DomainError
from dangol.surveys.models import BrandKit
from dangol.surveys.services.surveys import save_brand_kit
from dangol.surveys.views.builder import _show_problems
from dangol.web.decorators import permission_required


class BrandForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    primary_color = forms.CharField(label=gettext_lazy("Primary colour"), initial="#1f5f8b",
                                    widget=forms.TextInput(attrs={"type": "color"}))
    background_color = forms.CharField(label=gettext_lazy("Background colour"),
                                       initial="#ffffff",
                                       widget=forms.TextInput(attrs={"type": "color"}))
    text_color = forms.CharField(label=gettext_lazy("Text colour"), initial="#1d2330",
                                 widget=forms.TextInput(attrs={"type": "color"}))
    logo = forms.FileField(label=gettext_lazy("Logo"), required=False)


@login_required
@permission_required("surveys.manage")
def brand_kits(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    brand = None
    if pk is not None:
        brand = BrandKit.objects.filter(pk=pk).first()
        if brand is None:
            raise Http404(_("No such brand kit."))
    initial = {"name": brand.name, "primary_color": brand.primary_color,
               "background_color": brand.background_color,
               "text_color": brand.text_color} if brand else None
    form = BrandForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["logo"]
        try:
            save_brand_kit(
                actor=actor_from_request(request), brand=brand,
                name=form.cleaned_data["name"],
                primary_color=form.cleaned_data["primary_color"],
                background_color=form.cleaned_data["background_color"],
                text_color=form.cleaned_data["text_color"],
                logo=upload.read() if upload else None,
                logo_type=upload.content_type if upload else "")
        except DomainError as error:
            _show_problems(request, error)
        else:
            messages.success(request, _("Brand kit saved."))
            return redirect("surveys:brands")
    return render(request, "surveys/brands.html", {
        "form": form, "brand": brand, "brands": BrandKit.objects.order_by("name"),
        "nav_current": "surveys"})
