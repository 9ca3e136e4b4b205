"""Pure rules of Göingemodellen's follow-up: indicator status, budget, activities, permissions, time."""
