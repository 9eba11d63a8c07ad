# The outputs every cloud's shared_files module gives (docs/contracts.md section 4), then AWS's own.

output "type" {
  description = "The protocol hosts mount it with: nfs (NFSv4.1); null when not created."
  value       = var.create ? "nfs" : null
}

output "address" {
  description = "The file system's DNS name, which resolves in each zone to that zone's mount target; null when not created."
  # The mount target's: it exists once a mount target does, so nothing mounts before one is there.
  value = try(aws_efs_mount_target.this[0].dns_name, null)
}

output "export" {
  description = "The path to mount: / (the file system's root); null when not created."
  value       = var.create ? "/" : null
}

output "options" {
  description = "The NFS mount options Amazon EFS documents for Linux (\"Mount settings used by EFS mount helper\"); null when not created."
  value       = var.create ? "nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport" : null
}

output "file_system_id" {
  description = "EFS file system ID, null when not created."
  value       = try(aws_efs_file_system.this[0].id, null)
}

output "security_group_id" {
  description = "The mount targets' security group, null when not created."
  value       = try(aws_security_group.this[0].id, null)
}
