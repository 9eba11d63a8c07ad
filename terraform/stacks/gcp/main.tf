# Composes the GCP modules from the common stack interface (docs/contracts.md section 2).
# The provider block lives in the root module that calls this stack (see examples/).

locals {
  single = var.profile == "single"

  # Label keys and values allow only lowercase letters, digits, _ and -, at most 63 characters.
  labels = merge(
    { for k, v in var.tags : substr(replace(lower(k), "/[^a-z0-9_-]/", "_"), 0, 63) => substr(replace(lower(v), "/[^a-z0-9_-]/", "_"), 0, 63) },
    { environment = var.environment, managed_by = "openedx-deploy" },
  )

  zone_count = var.profile == "ha" ? 3 : 1
  zones      = length(var.zones) > 0 ? var.zones : slice(data.google_compute_zones.available[0].names, 0, min(local.zone_count, length(data.google_compute_zones.available[0].names)))

  # The global load balancer terminates TLS only with a certificate Google can hold; acme and self_signed
  # certificates live on the app hosts' nginx, which then faces the internet itself.
  load_balanced = contains(["cloud", "provided"], var.tls_mode)
  # App hosts face the internet only as TLS endpoints; SSH goes through the bastion.
  app_public = !local.load_balanced
  bastion    = length(var.ssh_allowed_cidrs) > 0

  client_tags = [module.network.host_tags.app, module.network.host_tags.worker]

  services = toset(concat(
    ["compute.googleapis.com", "iam.googleapis.com", "storage.googleapis.com"],
    local.managed.mysql || local.managed.redis ? ["servicenetworking.googleapis.com"] : [],
    local.managed.mysql ? ["sqladmin.googleapis.com"] : [],
    local.managed.redis ? ["redis.googleapis.com"] : [],
    local.single ? [] : ["file.googleapis.com"],
  ))

  redis_memory_size_gb = can(tonumber(var.redis_machine_type)) ? tonumber(var.redis_machine_type) : var.redis_memory_size_gb

  # Where the domains point: the load balancer, else the (first) app host, whose nginx faces the internet.
  public_address = local.load_balanced ? module.load_balancer[0].address : try(module.app.hosts[0].public_address, "")

  # ---- the data stores (docs/contracts.md, "Data-store modules"): add a store here, in data_host_counts and in
  # the outputs' endpoints ----
  # Whether each store is the cloud's managed service; Google has none for MongoDB and search.
  managed = {
    mysql   = var.mysql_mode == "managed"
    mongodb = false
    redis   = var.redis_mode == "managed"
    search  = false
  }
  # The port a self-hosted store's servers listen on (and the firewall opens to the app and worker tiers).
  self_hosted_port = {
    mysql    = 3306
    mongodb  = 27017
    redis    = 6379
    search   = var.search_engine == "meilisearch" ? 7700 : 9200
    rabbitmq = 5671 # the RabbitMQ broker (broker: rabbitmq): AMQP over TLS
  }
  # How the hosts module places a self-hosted store's VMs, and the broker's.
  data_hosts = {
    mysql = {
      machine_type = var.mysql_machine_type, disk_gb = var.mysql_disk_gb, disk_type = "pd-ssd", labels = {}
      # The mysql role replicates to the second host over the client port.
      peers_are_clients = true, peer_ports = []
    }
    mongodb = {
      machine_type = var.mongodb_machine_type, disk_gb = var.mongodb_disk_gb, disk_type = "pd-ssd"
      labels       = { mongodb_version = replace(var.mongodb_version, ".", "-") }
      # Replica set members talk to each other on the same port as clients.
      peers_are_clients = true, peer_ports = []
    }
    redis = {
      machine_type      = var.redis_machine_type, disk_gb = 20, disk_type = "pd-balanced", labels = {}
      peers_are_clients = false, peer_ports = []
    }
    search = {
      machine_type = var.search_machine_type, disk_gb = var.search_disk_gb, disk_type = "pd-ssd"
      labels       = { search_engine = var.search_engine, search_version = replace(var.search_version, ".", "-") }
      # Elasticsearch/OpenSearch nodes form a cluster over the transport port; Meilisearch has no cluster.
      peers_are_clients = false, peer_ports = var.search_engine == "meilisearch" ? [] : [9300]
    }
    rabbitmq = {
      machine_type      = var.rabbitmq_machine_type, disk_gb = 20, disk_type = "pd-balanced", labels = {}
      peers_are_clients = false, peer_ports = []
    }
  }
  # In single every self-hosted store runs on the app host, which then belongs to its group; otherwise on its own
  # VMs (none when managed).
  store_hosts = {
    for store, managed in local.managed : store => concat(local.single && !managed ? module.app.hosts : [], module.data_hosts[store].hosts)
  }
}

# A fresh project has most of these APIs off; they stay on when the environment is destroyed, since other
# workloads in the project may use them.
resource "google_project_service" "this" {
  for_each = var.enable_services ? local.services : toset([])

  project            = var.project_id == "" ? null : var.project_id
  service            = each.value
  disable_on_destroy = false
}

data "google_compute_zones" "available" {
  count = length(var.zones) > 0 ? 0 : 1

  project = var.project_id == "" ? null : var.project_id
  region  = var.region
  status  = "UP"
}

module "network" {
  source = "../../modules/gcp/network"

  environment                   = var.environment
  project_id                    = var.project_id
  region                        = var.region
  network_cidr                  = var.network_cidr
  ssh_allowed_cidrs             = var.ssh_allowed_cidrs
  ssh_from_iap                  = var.ssh_from_iap
  create_private_service_access = local.managed.mysql || local.managed.redis
  labels                        = local.labels

  depends_on = [google_project_service.this]
}

module "storage" {
  source = "../../modules/gcp/storage"

  environment   = var.environment
  project_id    = var.project_id
  location      = var.storage_location == "" ? var.region : var.storage_location
  bucket_prefix = var.storage_bucket_prefix
  versioning    = var.storage_versioning
  force_destroy = !var.deletion_protection
  kms_key_name  = var.kms_key_name
  labels        = local.labels

  depends_on = [google_project_service.this]
}

module "app" {
  source = "../../modules/gcp/app_hosts"

  environment           = var.environment
  project_id            = var.project_id
  role                  = "app"
  instance_count        = var.app_count
  machine_type          = var.app_machine_type
  disk_gb               = var.app_disk_gb
  zones                 = local.zones
  subnetwork_id         = module.network.subnet_ids["app"]
  network_id            = module.network.network_id
  os_image              = var.os_image
  ssh_user              = var.ssh_user
  ssh_public_key        = var.ssh_public_key
  ssh_host_key          = var.ssh_host_key
  ssh_host_public_key   = var.ssh_host_public_key
  service_account_email = module.storage.service_account_email
  assign_public_ip      = local.app_public
  public_ports          = local.load_balanced ? [] : [80, 443]
  create_instance_group = local.load_balanced
  # In single the app host also holds the self-hosted data.
  deletion_protection = local.single && var.deletion_protection
  kms_key_self_link   = var.kms_key_name
  labels              = local.labels
}

module "worker" {
  source = "../../modules/gcp/app_hosts"

  environment           = var.environment
  project_id            = var.project_id
  role                  = "worker"
  instance_count        = var.worker_count
  machine_type          = var.worker_machine_type
  disk_gb               = var.worker_disk_gb
  zones                 = local.zones
  subnetwork_id         = module.network.subnet_ids["worker"]
  os_image              = var.os_image
  ssh_user              = var.ssh_user
  ssh_public_key        = var.ssh_public_key
  ssh_host_key          = var.ssh_host_key
  ssh_host_public_key   = var.ssh_host_public_key
  service_account_email = module.storage.service_account_email
  kms_key_self_link     = var.kms_key_name
  labels                = local.labels
}

# The one way in: SSH from ssh_allowed_cidrs reaches this host only, and the others accept SSH from it alone.
module "bastion" {
  source = "../../modules/gcp/app_hosts"

  environment    = var.environment
  project_id     = var.project_id
  role           = "bastion"
  instance_count = local.bastion ? 1 : 0
  machine_type   = var.bastion_machine_type
  disk_gb        = 10
  zones          = local.zones
  subnetwork_id  = module.network.subnet_ids["app"]
  # Its subnet's last usable address (GCP keeps the last two): a bastion replaced after a destroy that kept the data
  # hosts comes back at the address their firewalls admit SSH from.
  private_addresses      = [cidrhost(module.network.subnet_cidrs["app"], -3)]
  os_image               = var.os_image
  ssh_user               = var.ssh_user
  ssh_public_key         = var.ssh_public_key
  ssh_host_key           = var.ssh_host_key
  ssh_host_public_key    = var.ssh_host_public_key
  service_account_email  = module.storage.service_account_email
  service_account_scopes = []
  assign_public_ip       = true
  kms_key_self_link      = var.kms_key_name
  labels                 = local.labels
}

# ---- data stores: each store's managed service (a create toggle), its self-hosted VMs from the hosts module ----

module "mysql" {
  source = "../../modules/gcp/mysql"

  create                       = local.managed.mysql
  environment                  = var.environment
  project_id                   = var.project_id
  region                       = var.region
  zones                        = local.zones
  mysql_version                = var.mysql_version
  machine_type                 = var.mysql_machine_type
  edition                      = var.mysql_edition
  disk_gb                      = var.mysql_disk_gb
  ha                           = var.mysql_ha
  read_replica                 = var.mysql_read_replica
  backup_retention_days        = var.mysql_backup_retention_days
  admin_password               = var.mysql_admin_password
  network_id                   = module.network.network_id
  private_service_access_range = module.network.private_service_access_range
  deletion_protection          = var.deletion_protection
  kms_key_name                 = var.kms_key_name
  labels                       = local.labels
}

module "redis" {
  source = "../../modules/gcp/redis"

  create                       = local.managed.redis
  environment                  = var.environment
  project_id                   = var.project_id
  region                       = var.region
  zones                        = local.zones
  redis_version                = var.redis_version
  memory_size_gb               = local.redis_memory_size_gb
  ha                           = var.redis_ha
  network_id                   = module.network.network_id
  private_service_access_range = module.network.private_service_access_range
  kms_key_name                 = var.kms_key_name
  labels                       = local.labels
}

# Google offers no managed MongoDB-compatible or search service (the stack's variables refuse a managed mode), so
# MongoDB and search have no module of their own: they are self-hosted, on the VMs below or on the app host.

# The VMs of every self-hosted store: as many as the topology asks for (data_host_counts), none for a managed one.
module "data_hosts" {
  source   = "../../modules/gcp/app_hosts"
  for_each = tomap(var.data_host_counts)

  environment           = var.environment
  project_id            = var.project_id
  role                  = each.key
  instance_count        = each.value
  machine_type          = local.data_hosts[each.key].machine_type
  disk_gb               = local.data_hosts[each.key].disk_gb
  disk_type             = local.data_hosts[each.key].disk_type
  zones                 = local.zones
  subnetwork_id         = module.network.subnet_ids["data"]
  network_id            = module.network.network_id
  client_ports          = [local.self_hosted_port[each.key]]
  client_tags           = local.client_tags
  peers_are_clients     = local.data_hosts[each.key].peers_are_clients
  peer_ports            = local.data_hosts[each.key].peer_ports
  os_image              = var.os_image
  ssh_user              = var.ssh_user
  ssh_public_key        = var.ssh_public_key
  ssh_host_key          = var.ssh_host_key
  ssh_host_public_key   = var.ssh_host_public_key
  service_account_email = module.storage.service_account_email
  deletion_protection   = var.deletion_protection
  kms_key_self_link     = var.kms_key_name
  labels                = merge(local.labels, local.data_hosts[each.key].labels)
}

module "load_balancer" {
  source = "../../modules/gcp/load_balancer"
  count  = local.load_balanced ? 1 : 0

  environment       = var.environment
  project_id        = var.project_id
  network_id        = module.network.network_id
  backend_groups    = module.app.instance_group_self_links
  backend_tag       = module.network.host_tags.app
  domains           = distinct(compact([var.lms_domain, var.studio_domain, var.mfe_domain, var.notes_domain, var.meilisearch_domain]))
  health_check_host = var.lms_domain
  tls_mode          = var.tls_mode
  certificate_file  = var.tls_certificate_file
  private_key_file  = var.tls_private_key_file
  # With a CDN, the LMS's and Studio's /static/ and /media/ go to its backend service.
  cdn_backend_service_id = module.cdn.backend_service_id
  cdn_hosts              = var.cdn_enabled ? distinct([var.lms_domain, var.studio_domain]) : []
  labels                 = local.labels
}

# ---- the file system the app and worker hosts share (every profile but single) ----

# Filestore, mounted at /var/lib/openedx on the app and worker hosts (the common role): the lms and cms data
# directories and the media, so that a file one host writes is there for the others. In the first app host's zone.
module "shared_files" {
  source = "../../modules/gcp/shared_files"

  create              = !local.single
  environment         = var.environment
  project_id          = var.project_id
  zone                = local.zones[0]
  network_name        = module.network.network_name
  reserved_ip_range   = module.network.filestore_range
  client_cidrs        = [module.network.subnet_cidrs["app"], module.network.subnet_cidrs["worker"]]
  deletion_protection = var.deletion_protection
  kms_key_name        = var.kms_key_name
  labels              = local.labels

  depends_on = [google_project_service.this]
}

# ---- CDN: Cloud CDN on a backend service of the load balancer for /static/ and /media/ (cdn_enabled) ----

module "cdn" {
  source = "../../modules/gcp/cdn"

  # Cloud CDN is a feature of the global load balancer, which exists with tls_mode cloud or provided (the spec
  # refuses cdn.enabled without it).
  create          = var.cdn_enabled && local.load_balanced
  environment     = var.environment
  project_id      = var.project_id
  domain          = var.lms_domain
  backend_groups  = local.load_balanced ? module.app.instance_group_self_links : []
  health_check_id = local.load_balanced ? module.load_balancer[0].health_check_id : ""
  labels          = local.labels
}

# The domains point at the public address (when the environment names a zone).
module "dns" {
  source = "../../modules/gcp/dns"

  project_id   = var.project_id
  zone_name    = var.dns_zone
  managed_zone = var.dns_managed_zone
  domains      = compact([var.lms_domain, var.studio_domain, var.mfe_domain, var.notes_domain, var.meilisearch_domain])
  address      = local.public_address
}
