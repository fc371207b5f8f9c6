from django.shortcuts import redirect

from departments.constants import Role
from departments.roles import has_role


def home(request):
    """Window staff start at the window; everyone else at the back office."""
    if has_role(request.user, Role.CLERK, Role.AGENT) and not request.user.is_superuser:
        return redirect("window:queue")
    return redirect("admin:index")
