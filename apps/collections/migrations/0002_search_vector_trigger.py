"""Keep Photograph.search_vector current on every insert and update, whatever the write path
(save, bulk_create, QuerySet.update, raw SQL). Weights: A title and identifier, B creator
and subjects, C place, D description. The text search configuration is 'english'; the
selectors query with the same one (selectors.SEARCH_CONFIG)."""
from django.db import migrations

CREATE = r"""
CREATE FUNCTION collections_photograph_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(NEW.identifier, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(NEW.creator, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(array_to_string(NEW.subjects, ' '), '')), 'B') ||
        setweight(to_tsvector('english', coalesce(NEW.place, '')), 'C') ||
        setweight(to_tsvector('english', coalesce(NEW.description, '')), 'D');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER collections_photograph_search_vector
    BEFORE INSERT OR UPDATE ON collections_photograph
    FOR EACH ROW EXECUTE FUNCTION collections_photograph_search_vector();

UPDATE collections_photograph SET id = id;
"""

DROP = r"""
DROP TRIGGER IF EXISTS collections_photograph_search_vector ON collections_photograph;
DROP FUNCTION IF EXISTS collections_photograph_search_vector();
"""


class Migration(migrations.Migration):
    dependencies = [("collections", "0001_initial")]
    operations = [migrations.RunSQL(CREATE, DROP)]
