variable "create" {
  description = "Create the Amazon MQ broker (broker rabbitmq, rabbitmq_mode = managed); false creates nothing."
  type        = bool
  default     = true
}

variable "name" {
  description = "Name prefix (the environment name); the broker is <name>-rabbitmq."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "The name must be 2-41 lowercase letters, digits or hyphens, starting with a letter (broker names are at most 50 characters)."
  }
}

variable "engine_version" {
  description = "RabbitMQ major.minor version Amazon MQ runs: 3.13 (mq.t3, mq.m5, mq.m7g) or 4.2 (mq.m7g only, quorum queues by default)."
  type        = string
  default     = "3.13"

  validation {
    condition     = contains(["3.13", "4.2"], var.engine_version)
    error_message = "The engine_version must be one Amazon MQ supports for RabbitMQ: 3.13 or 4.2."
  }
}

variable "instance_type" {
  description = "Amazon MQ instance type, such as mq.m7g.large (mq.t3.micro: one node only)."
  type        = string
  default     = "mq.m7g.large"

  validation {
    condition     = can(regex("^mq\\.", var.instance_type))
    error_message = "The instance_type must be an Amazon MQ instance type starting with mq., such as mq.m7g.large."
  }
}

variable "cluster" {
  description = "A cluster of three nodes over the subnets' zones (CLUSTER_MULTI_AZ) instead of one broker."
  type        = bool
  default     = false
}

variable "admin_user" {
  description = "The broker's one user, which both services log in as (openedx_deploy.topology.AMAZON_MQ_USER)."
  type        = string
  default     = "openedx"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{2,100}$", var.admin_user)) && var.admin_user != "guest"
    error_message = "The admin_user must be 2-100 letters, digits, '.', '_' or '-', and not guest (Amazon MQ's rules for RabbitMQ users)."
  }
}

variable "admin_password" {
  description = "That user's password: 12 characters or more, at least 4 different, without , : or = (Amazon MQ's rules)."
  type        = string
  default     = ""
  sensitive   = true

  validation {
    condition     = var.admin_password == "" || (length(var.admin_password) >= 12 && length(var.admin_password) <= 250 && !can(regex("[,:=]", var.admin_password)) && length(distinct(split("", var.admin_password))) >= 4)
    error_message = "The admin_password must be 12-250 characters, at least 4 different, without commas, colons or equal signs."
  }
}

variable "subnet_ids" {
  description = "Private subnets: the first holds a single broker; a cluster spreads over them."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the broker (AMQP over TLS, 5671, from the app and worker tiers)."
  type        = list(string)
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
