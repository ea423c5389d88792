from lessons.models import StudentSettings


def theme_save(*, user, theme: str) -> StudentSettings:
    """Save the user's colour theme ("" follows the device)."""
    study_settings, _ = StudentSettings.objects.update_or_create(user=user, defaults={"theme": theme})
    return study_settings
