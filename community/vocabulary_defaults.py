"""The vocabulary and neighbourhoods a new Kindred community starts with."""

DEFAULT_INTERESTS: dict[str, list[str]] = {
    "Books and learning": [
        "Reading", "Book club", "Poetry", "History", "Philosophy", "Science", "Learning languages",
    ],
    "Outdoors": [
        "Walking", "Hiking", "Gardening", "Birdwatching", "Cycling", "Nature photography",
        "Allotments", "Wild swimming",
    ],
    "Games and puzzles": [
        "Board games", "Chess", "Card games", "Puzzles and crosswords", "Video games", "Quiz nights",
    ],
    "Food": ["Cooking", "Baking", "Vegetarian food", "Coffee", "World food", "Sunday lunch"],
    "Arts and making": [
        "Art", "Drawing and painting", "Knitting and crochet", "Sewing", "Pottery", "Photography",
        "Woodwork", "Writing",
    ],
    "Music and film": [
        "Music", "Singing and choirs", "Playing an instrument", "Films", "Theatre", "Dancing",
    ],
    "Body and mind": [
        "Yoga", "Meditation", "Gentle exercise", "Running", "Swimming", "Tai chi",
    ],
    "Family and life": [
        "Parenting", "Grandparenting", "Pets", "Dog walking", "New to the area",
        "Retired life", "Caring for someone",
    ],
    "Support": [
        "Grief support", "Living with anxiety", "Living with a long-term condition",
        "Recovery", "Coping after a move",
    ],
    "Community": [
        "Volunteering", "Environment and recycling", "Local history", "Repair cafe",
        "Food bank", "Faith and spirituality",
    ],
}

# Neighbourhoods of a mid-sized city, with real-looking centre points.
DEFAULT_AREAS: list[tuple[str, float, float, float]] = [
    ("Old Town", 51.4545, -2.5879, 3.0),
    ("Riverside", 51.4490, -2.5980, 3.0),
    ("Northfield", 51.4800, -2.5900, 4.0),
    ("Harbourside", 51.4500, -2.6100, 3.0),
    ("Hillcrest", 51.4650, -2.5600, 4.0),
    ("Greenway", 51.4350, -2.5700, 5.0),
]

LANGUAGES = [
    "English", "Welsh", "Polish", "Urdu", "Punjabi", "Somali", "Arabic", "Spanish",
    "Portuguese", "French", "Romanian", "Bengali", "Mandarin", "Ukrainian", "British Sign Language",
]
