"""Authors write items; items carry labels (many-to-many): every kind of read and write."""

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=50)

    class Meta:
        app_label = "trackapp"

    def __str__(self) -> str:
        return self.name


class Label(models.Model):
    name = models.CharField(max_length=50)

    class Meta:
        app_label = "trackapp"

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    name = models.CharField(max_length=50)
    price = models.IntegerField(default=0)
    author = models.ForeignKey(Author, null=True, on_delete=models.SET_NULL)
    labels = models.ManyToManyField(Label, blank=True)

    class Meta:
        app_label = "trackapp"

    def __str__(self) -> str:
        return self.name
