locals {
  ami_sources = {
    "debian-12" = {
      owner = "136693071363" # Debian's official cloud team account
      name  = "debian-12-amd64-*"
    }
    "ubuntu-24.04" = {
      owner = "099720109477" # Canonical
      name  = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"
    }
  }

  # The only thing cloud-init does: the login user Ansible connects as. Everything else is Ansible's job, so a
  # host's configuration never depends on first-boot scripts.
  # The one other thing: the environment's host key, so that sshd presents exactly the key the inventory pins
  # (no other key type is generated).
  user_data = "#cloud-config\n${yamlencode(merge({
    users = [{
      name                = var.ssh_user
      groups              = ["sudo"]
      shell               = "/bin/bash"
      sudo                = "ALL=(ALL) NOPASSWD:ALL"
      lock_passwd         = true
      ssh_authorized_keys = [trimspace(var.ssh_public_key)]
    }]
    }, var.ssh_host_key == "" ? null : {
    ssh_deletekeys  = true
    ssh_genkeytypes = []
    ssh_keys = {
      ed25519_private = var.ssh_host_key
      ed25519_public  = trimspace(var.ssh_host_public_key)
    }
  }))}"

  tags                  = merge(var.tags, { "openedx-deploy:tier" = var.tier })
  instance_profile_name = var.create_instance_profile ? aws_iam_instance_profile.this[0].name : var.instance_profile_name
}

data "aws_ami" "this" {
  count = var.instance_count > 0 ? 1 : 0

  most_recent = true
  owners      = [local.ami_sources[var.os_image].owner]

  filter {
    name   = "name"
    values = [local.ami_sources[var.os_image].name]
  }

  filter {
    name   = "architecture"
    values = ["x86_64"]
  }

  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }
}

resource "aws_instance" "this" {
  #checkov:skip=CKV_AWS_88:only the bastion (associate_public_ip = true) gets a public address, and its SSH is limited to ssh_allowed_cidrs
  count = var.instance_count

  ami                         = data.aws_ami.this[0].id
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_ids[count.index % length(var.subnet_ids)]
  vpc_security_group_ids      = var.security_group_ids
  associate_public_ip_address = var.associate_public_ip
  private_ip                  = try(var.private_addresses[count.index], null)
  iam_instance_profile        = local.instance_profile_name
  user_data                   = local.user_data
  monitoring                  = true
  ebs_optimized               = true
  disable_api_termination     = var.termination_protection

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2 # containers on the host reach IMDS through one extra hop
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.disk_gb
    encrypted             = true
    kms_key_id            = var.ebs_kms_key_arn
    delete_on_termination = true
    tags                  = merge(local.tags, { Name = "${var.name}-${count.index + 1}" })
  }

  tags = merge(local.tags, { Name = "${var.name}-${count.index + 1}" })

  lifecycle {
    # A newer AMI or an edited cloud-config must not replace a running host; Ansible maintains it from here.
    ignore_changes = [ami, user_data]
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "buckets" {
  count = var.create_instance_profile && length(var.bucket_arns) > 0 ? 1 : 0

  statement {
    sid       = "ListEnvironmentBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
    resources = var.bucket_arns
  }

  statement {
    sid = "ObjectsInEnvironmentBuckets"
    actions = [
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = [for arn in var.bucket_arns : "${arn}/*"]
  }

  # One key may encrypt more than these buckets (the stacks use one key for everything, backups included), so
  # its data operations are limited to requests S3 makes for these buckets: S3 names the bucket (with a bucket
  # key) or the object (without one) in the encryption context.
  dynamic "statement" {
    for_each = length(var.kms_key_arns) > 0 ? [1] : []
    content {
      sid       = "UseBucketKeys"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = var.kms_key_arns
      condition {
        test     = "StringLike"
        variable = "kms:EncryptionContext:aws:s3:arn"
        values   = concat(var.bucket_arns, [for arn in var.bucket_arns : "${arn}/*"])
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.kms_key_arns) > 0 ? [1] : []
    content {
      sid       = "DescribeBucketKeys"
      actions   = ["kms:DescribeKey"]
      resources = var.kms_key_arns
    }
  }
}

resource "aws_iam_role" "this" {
  count = var.create_instance_profile ? 1 : 0

  name               = "${var.name}-host"
  description        = "Hosts of ${var.name}: object access to the environment's buckets only"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = local.tags
}

resource "aws_iam_role_policy" "buckets" {
  count = var.create_instance_profile && length(var.bucket_arns) > 0 ? 1 : 0

  name   = "environment-buckets"
  role   = aws_iam_role.this[0].id
  policy = data.aws_iam_policy_document.buckets[0].json
}

resource "aws_iam_instance_profile" "this" {
  count = var.create_instance_profile ? 1 : 0

  name = "${var.name}-host"
  role = aws_iam_role.this[0].name

  tags = local.tags
}
