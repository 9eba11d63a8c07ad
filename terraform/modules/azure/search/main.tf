locals {
  ports = {
    meilisearch   = 7700
    elasticsearch = 9200
    opensearch    = 9200
  }
}

module "hosts" {
  source = "../app_hosts"

  name                = var.name
  role                = "search"
  host_count          = var.host_count
  location            = var.location
  resource_group_name = var.resource_group_name
  zones               = var.zones
  subnet_id           = var.subnet_id
  size                = var.host_count > 0 ? var.machine_type : null
  os_disk_gb          = var.disk_gb
  os_image            = var.os_image
  ssh_user            = var.ssh_user
  ssh_public_key      = var.ssh_public_key
  ssh_host_key        = var.ssh_host_key
  ssh_host_public_key = var.ssh_host_public_key
  encryption_at_host  = var.encryption_at_host
  tags                = merge(var.tags, { search_engine = var.engine })
}
