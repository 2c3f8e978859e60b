#!/usr/bin/perl
# For each namespace type given (user, mnt, pid, net, uts, ipc, cgroup, time), print
#   TYPE INODE OWNER-USERNS-INODE
# where the owner comes from the nsfs ioctl NS_GET_USERNS (_IO(0xb7, 1)); "-" when the
# kernel refuses it.  "user" is printed with its own inode as INODE.
use strict;
use warnings;
my $NS_GET_USERNS = 0xb701;
for my $t (@ARGV) {
        my $path = "/proc/self/ns/$t";
        my @st = stat($path) or die "$path: $!\n";
        open(my $fh, "<", $path) or die "$path: $!\n";
        my $r = ioctl($fh, $NS_GET_USERNS, 0);
        my $owner = "-";
        if (defined $r) {
                my $fd = $r eq "0 but true" ? 0 : $r;
                my @o = stat("/proc/self/fd/$fd");
                $owner = $o[1] if @o;
                POSIX::close($fd) if eval { require POSIX; 1 };
        }
        print "$t $st[1] $owner\n";
}
