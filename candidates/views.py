from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Candidate


@login_required
def home(request: HttpRequest) -> HttpResponse:
    candidates = Candidate.objects.for_org(request.user.organization).order_by("-risk_score")[:50]
    return render(request, "candidates/home.html", {"candidates": candidates})


@login_required
def candidate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = get_object_or_404(Candidate.objects.for_org(request.user.organization), pk=pk)
    return render(request, "candidates/detail.html", {"candidate": candidate})
