# AWS stack: composes terraform/modules/aws/* from the inputs of docs/contracts.md section 2.

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:read only when the environment names no zones; the stack then takes the first one or three names in AWS's sorted order, which a newly added zone (a later letter) does not change
  state = "available"
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  name = var.environment
  tags = merge(var.tags, { environment = var.environment, "managed-by" = "openedx-deploy" })

  # Hosts go to the zones asked for (default: first 1, or 3 for ha). The network always spans at least two zones
  # because the load balancer and every managed data store need subnets in two zones.
  host_zones    = length(var.zones) > 0 ? var.zones : slice(data.aws_availability_zones.available.names, 0, var.profile == "ha" ? 3 : 1)
  network_zones = length(local.host_zones) >= 2 ? local.host_zones : slice(distinct(concat(local.host_zones, data.aws_availability_zones.available.names)), 0, 2)
  host_zone_n   = length(local.host_zones)

  single = var.profile == "single"

  mysql_managed   = var.mysql_mode == "managed"
  mongodb_managed = var.mongodb_mode == "managed"
  redis_managed   = var.redis_mode == "managed"
  # Amazon offers a managed service only for OpenSearch; a managed Meilisearch/Elasticsearch request falls back
  # to hosts (the spec validator refuses that combination for AWS before it gets here).
  search_managed = var.search_mode == "managed" && var.search_engine == "opensearch"
  # The Celery broker of broker rabbitmq: Amazon MQ, or a VM (data_host_counts.rabbitmq) like a self-hosted store.
  rabbitmq_managed = var.rabbitmq_mode == "managed"

  # ---- the data stores (docs/contracts.md, "Data-store modules"): add a store here, in data_host_counts and in
  # the outputs' endpoints ----
  # Whether each store is the cloud's managed service.
  managed = {
    mysql   = local.mysql_managed
    mongodb = local.mongodb_managed
    redis   = local.redis_managed
    search  = local.search_managed
  }
  # The port a self-hosted store's servers listen on.
  self_hosted_port = {
    mysql   = 3306
    mongodb = 27017
    redis   = 6379
    search  = var.search_engine == "meilisearch" ? 7700 : 9200
  }

  # Machine types accept either spelling (db.m6g.large / m6g.large), so a profile can switch modes without edits.
  ec2_type = {
    mysql    = trimprefix(var.mysql_machine_type, "db.")
    mongodb  = trimprefix(var.mongodb_machine_type, "db.")
    redis    = trimprefix(var.redis_machine_type, "cache.")
    search   = trimsuffix(var.search_machine_type, ".search")
    rabbitmq = trimprefix(var.rabbitmq_machine_type, "mq.")
  }

  # Self-hosted data hosts: the topology decides how many (data_host_counts: none in single, where the app host
  # runs every self-hosted store, nor for a managed store); the stack only places them.
  # The RabbitMQ broker (data_host_counts.rabbitmq) is placed the same way; it has no managed mode here.
  data_disk_gb = {
    mysql    = var.mysql_disk_gb
    mongodb  = var.mongodb_disk_gb
    redis    = 30
    search   = var.search_disk_gb
    rabbitmq = 20
  }

  bastion = var.create_bastion && length(var.ssh_allowed_cidrs) > 0

  # The buckets Open edX itself reads and writes. Backups are not among them: the operator's machine fetches the
  # dumps from the hosts through Ansible and uploads them with its own credentials (openedx_deploy/backup.py), so a
  # compromised host can neither read nor delete them.
  host_bucket_arns = [for purpose, arn in module.storage.bucket_arns : arn if purpose != "backups"]
}

# ---- one customer-managed key for everything the environment stores ----

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_356:in a key policy, Resource "*" means this key only
  #checkov:skip=CKV_AWS_109:the account root statement is the AWS default key policy; it delegates to IAM, it grants nothing by itself
  #checkov:skip=CKV_AWS_111:see CKV_AWS_109, the default key policy delegating to the account's IAM policies
  statement {
    sid       = "AccountAdministersKey"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  # CloudWatch Logs encrypts the flow, Redis and OpenSearch log groups with this key under its own principal.
  statement {
    sid       = "CloudWatchLogsUsesKey"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:/openedx-deploy/${local.name}/*"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "Open edX ${local.name}: disks, databases, caches, buckets and logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json

  tags = local.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/openedx-${local.name}"
  target_key_id = aws_kms_key.this.key_id
}

# ---- network ----

module "network" {
  source = "../../modules/aws/network"

  name                 = local.name
  cidr                 = var.network_cidr
  zones                = local.network_zones
  nat_gateway_per_zone = var.profile == "ha"
  ssh_allowed_cidrs    = var.ssh_allowed_cidrs
  kms_key_arn          = aws_kms_key.this.arn
  tags                 = local.tags
}

# ---- object storage ----

module "storage" {
  source = "../../modules/aws/storage"

  bucket_prefix        = var.storage_bucket_prefix
  versioning           = var.storage_versioning
  kms_key_arn          = aws_kms_key.this.arn
  cors_allowed_origins = ["https://${var.lms_domain}", "https://${var.studio_domain}", "https://${var.mfe_domain}"]
  deletion_protection  = var.deletion_protection
  tags                 = local.tags
}

# ---- hosts ----

module "app" {
  source = "../../modules/aws/app_hosts"

  name                    = "${local.name}-app"
  tier                    = "app"
  instance_count          = var.app_count
  instance_type           = var.app_machine_type
  disk_gb                 = var.app_disk_gb
  os_image                = var.os_image
  subnet_ids              = slice(module.network.app_subnet_ids, 0, local.host_zone_n)
  security_group_ids      = local.single ? [module.network.security_group_ids["app"], module.network.security_group_ids["worker"]] : [module.network.security_group_ids["app"]]
  ssh_user                = var.ssh_user
  ssh_public_key          = var.ssh_public_key
  ssh_host_key            = var.ssh_host_key
  ssh_host_public_key     = var.ssh_host_public_key
  create_instance_profile = true
  bucket_arns             = local.host_bucket_arns
  kms_key_arns            = [aws_kms_key.this.arn]
  ebs_kms_key_arn         = aws_kms_key.this.arn
  # In single the app host also holds the self-hosted data, so it gets the data stores' protection.
  termination_protection = local.single && var.deletion_protection
  tags                   = local.tags
}

module "worker" {
  source = "../../modules/aws/app_hosts"

  name                  = "${local.name}-worker"
  tier                  = "worker"
  instance_count        = local.single ? 0 : var.worker_count
  instance_type         = var.worker_machine_type
  disk_gb               = var.worker_disk_gb
  os_image              = var.os_image
  subnet_ids            = slice(module.network.app_subnet_ids, 0, local.host_zone_n)
  security_group_ids    = [module.network.security_group_ids["worker"]]
  ssh_user              = var.ssh_user
  ssh_public_key        = var.ssh_public_key
  ssh_host_key          = var.ssh_host_key
  ssh_host_public_key   = var.ssh_host_public_key
  instance_profile_name = module.app.instance_profile_name
  ebs_kms_key_arn       = aws_kms_key.this.arn
  tags                  = local.tags
}

module "data_hosts" {
  source   = "../../modules/aws/app_hosts"
  for_each = tomap(var.data_host_counts)

  name               = "${local.name}-${each.key}"
  tier               = each.key
  instance_count     = each.value
  instance_type      = local.ec2_type[each.key]
  disk_gb            = local.data_disk_gb[each.key]
  os_image           = var.os_image
  subnet_ids         = slice(module.network.data_subnet_ids, 0, local.host_zone_n)
  security_group_ids = [module.network.security_group_ids[each.key]]
  ssh_user           = var.ssh_user
  ssh_public_key     = var.ssh_public_key
  ssh_host_key       = var.ssh_host_key
  # No instance profile: data hosts touch no bucket. Their dumps reach the backups bucket from the operator's
  # machine, which fetches them through Ansible (playbooks/backup.yml).
  ssh_host_public_key    = var.ssh_host_public_key
  ebs_kms_key_arn        = aws_kms_key.this.arn
  termination_protection = var.deletion_protection
  tags                   = local.tags
}

# The one way in: the hosts have private addresses only, and the inventory reaches them through this host.
module "bastion" {
  source = "../../modules/aws/app_hosts"

  name           = "${local.name}-bastion"
  tier           = "bastion"
  instance_count = local.bastion ? 1 : 0
  instance_type  = var.bastion_machine_type
  disk_gb        = 10
  os_image       = var.os_image
  subnet_ids     = [module.network.public_subnet_ids[0]]
  # Its subnet's last usable address (AWS keeps the last): a bastion replaced after a destroy that kept the data
  # hosts comes back at the address their firewalls admit SSH from.
  private_addresses   = [cidrhost(module.network.public_subnet_cidrs[0], -2)]
  security_group_ids  = [module.network.security_group_ids["bastion"]]
  associate_public_ip = true
  ssh_user            = var.ssh_user
  ssh_public_key      = var.ssh_public_key
  ssh_host_key        = var.ssh_host_key
  ssh_host_public_key = var.ssh_host_public_key
  ebs_kms_key_arn     = aws_kms_key.this.arn
  tags                = local.tags
}

# ---- managed data stores ----

module "mysql" {
  source = "../../modules/aws/mysql"

  create                = local.mysql_managed
  name                  = local.name
  engine_version        = var.mysql_version
  instance_class        = can(regex("^db\\.", var.mysql_machine_type)) ? var.mysql_machine_type : "db.${var.mysql_machine_type}"
  allocated_storage_gb  = var.mysql_disk_gb
  multi_az              = var.mysql_ha
  read_replica          = var.mysql_read_replica
  backup_retention_days = var.mysql_backup_retention_days
  deletion_protection   = var.deletion_protection
  admin_password        = var.mysql_admin_password
  subnet_ids            = module.network.data_subnet_ids
  security_group_ids    = [module.network.security_group_ids["mysql"]]
  kms_key_arn           = aws_kms_key.this.arn
  tags                  = local.tags
}

# DocumentDB and OpenSearch exist only when managed; otherwise their modules still validate a count of 1 or more,
# while the stack takes 0 in single (the stores then run on the app host).
module "mongodb" {
  source = "../../modules/aws/mongodb"

  create                = local.mongodb_managed
  name                  = local.name
  engine_version        = var.documentdb_engine_version
  instance_class        = can(regex("^db\\.", var.mongodb_machine_type)) ? var.mongodb_machine_type : "db.${var.mongodb_machine_type}"
  instance_count        = local.mongodb_managed ? var.mongodb_count : 1
  backup_retention_days = var.mysql_backup_retention_days
  deletion_protection   = var.deletion_protection
  subnet_ids            = module.network.data_subnet_ids
  security_group_ids    = [module.network.security_group_ids["mongodb"]]
  kms_key_arn           = aws_kms_key.this.arn
  tags                  = local.tags
}

module "redis" {
  source = "../../modules/aws/redis"

  create             = local.redis_managed
  name               = local.name
  engine_version     = var.redis_version
  node_type          = can(regex("^cache\\.", var.redis_machine_type)) ? var.redis_machine_type : "cache.${var.redis_machine_type}"
  ha                 = var.redis_ha
  auth_token         = var.redis_auth_token
  subnet_ids         = module.network.data_subnet_ids
  security_group_ids = [module.network.security_group_ids["redis"]]
  kms_key_arn        = aws_kms_key.this.arn
  tags               = local.tags
}

module "search" {
  source = "../../modules/aws/search"

  create               = local.search_managed
  name                 = substr(local.name, 0, 21)
  engine_version       = var.search_version
  instance_type        = can(regex("\\.search$", var.search_machine_type)) ? var.search_machine_type : "${var.search_machine_type}.search"
  instance_count       = local.search_managed ? var.search_count : 1
  volume_gb            = var.search_disk_gb
  subnet_ids           = module.network.data_subnet_ids
  security_group_ids   = [module.network.security_group_ids["search"]]
  kms_key_arn          = aws_kms_key.this.arn
  master_user_password = var.search_master_password
  # Dedicated masters when the domain has enough data nodes to be worth protecting (ha).
  dedicated_master_type = var.profile == "ha" && var.search_count >= 3 ? "m6g.large.search" : ""
  master_user_arn       = module.app.role_arn
  tags                  = local.tags
}

# Amazon MQ for RabbitMQ (broker rabbitmq, rabbitmq_mode = managed): a cluster of three nodes in ha.
module "rabbitmq" {
  source = "../../modules/aws/rabbitmq"

  create             = local.rabbitmq_managed
  name               = local.name
  engine_version     = var.rabbitmq_version
  instance_type      = can(regex("^mq\\.", var.rabbitmq_machine_type)) ? var.rabbitmq_machine_type : "mq.${var.rabbitmq_machine_type}"
  cluster            = var.profile == "ha"
  admin_password     = var.rabbitmq_admin_password
  subnet_ids         = module.network.data_subnet_ids
  security_group_ids = [module.network.security_group_ids["rabbitmq"]]
  tags               = local.tags
}

# ---- the file system the app and worker hosts share (every profile but single) ----

# Amazon EFS, mounted at /var/lib/openedx on the app and worker hosts (the common role): the lms and cms data
# directories and the media, so that a file one host writes is there for the others. In single the one host has
# nothing to share.
module "shared_files" {
  source = "../../modules/aws/shared_files"

  create      = !local.single
  name        = local.name
  vpc_id      = module.network.vpc_id
  subnet_ids  = module.network.app_subnet_ids
  kms_key_arn = aws_kms_key.this.arn
  client_security_group_ids = {
    app    = module.network.security_group_ids["app"]
    worker = module.network.security_group_ids["worker"]
  }
  tags = local.tags
}

# ---- load balancer ----

module "load_balancer" {
  source = "../../modules/aws/load_balancer"

  name                = substr(local.name, 0, 28)
  tls_mode            = var.tls_mode
  domains             = compact([var.lms_domain, var.studio_domain, var.mfe_domain, var.notes_domain, var.meilisearch_domain])
  certificate_file    = var.tls_certificate_file
  private_key_file    = var.tls_private_key_file
  route53_zone_id     = var.route53_zone_id != "" ? var.route53_zone_id : module.dns.zone_id # ACM validation
  vpc_id              = module.network.vpc_id
  subnet_ids          = module.network.public_subnet_ids
  security_group_ids  = [module.network.security_group_ids["lb"]]
  target_instance_ids = module.app.instance_ids
  deletion_protection = var.deletion_protection
  tags                = local.tags
}

# ---- DNS: the domains point at the load balancer (when the environment names a zone) ----

module "dns" {
  source = "../../modules/aws/dns"

  zone_name              = var.dns_zone
  domains                = compact([var.lms_domain, var.studio_domain, var.mfe_domain, var.notes_domain, var.meilisearch_domain])
  load_balancer_dns_name = module.load_balancer.dns_name
  load_balancer_zone_id  = module.load_balancer.zone_id
}

# ---- CDN: CloudFront in front of /static/ and /media/ (cdn_enabled) ----

module "cdn" {
  source = "../../modules/aws/cdn"
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  create          = var.cdn_enabled
  name            = local.name
  origin_domain   = var.lms_domain
  domain          = var.cdn_domain
  route53_zone_id = var.cdn_domain != "" ? (var.route53_zone_id != "" ? var.route53_zone_id : module.dns.zone_id) : ""
  price_class     = var.cdn_price_class
  tags            = local.tags
}

# ---- optional: state backend ----

module "state_backend" {
  source = "../../modules/aws/state_backend"

  create              = var.create_state_backend
  bucket_name         = "${var.storage_bucket_prefix}-tfstate"
  create_kms_key      = false
  kms_key_arn         = aws_kms_key.this.arn
  deletion_protection = var.deletion_protection
  tags                = local.tags
}
