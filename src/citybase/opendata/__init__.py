"""Open data (开放数据): the data hub's catalog as a CKAN-compatible Action API and DCAT-AP.

Nothing here owns tables: the catalog (``citybase.datahub``) owns datasets, versions, usage
and authorisation; this package translates them into the vocabularies that open-data tools
already speak, so any CKAN harvester, ``ckanapi`` script or DCAT aggregator can read a city.
"""
