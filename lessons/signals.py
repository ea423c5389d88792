from django.contrib import messages
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver


@receiver(user_logged_out)
def say_logged_out(sender, request, user, **kwargs):
    messages.info(request, "You are logged out. See you at your next review.")
