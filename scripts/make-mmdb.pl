#!/usr/bin/perl
# make-mmdb.pl OUT - a tiny MaxMind DB for the tests and the demo, written with MaxMind's
# own writer (Debian: libmaxmind-db-writer-perl): 127.0.0.0/8 is in
# "Testland" (TL), 192.0.2.0/24 in "Exampleland" (EX, no English name: only
# its ISO code), everything else nowhere.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => 6,
    record_size              => 24,
    database_type            => 'cs-Test-Country',
    languages                => ['en'],
    description              => { en => 'cs test countries' },
    remove_reserved_networks => 0,
    alias_ipv6_to_ipv4       => 1,
    map_key_type_callback    => sub {
        my $k = shift;
        return $k eq 'country' || $k eq 'names' ? 'map' : 'utf8_string';
    },
);
$tree->insert_network('127.0.0.0/8', { country => { iso_code => 'TL', names => { en => 'Testland' } } });
$tree->insert_network('192.0.2.0/24', { country => { iso_code => 'EX' } });
open my $fh, '>:raw', $ARGV[0] or die "make-mmdb.pl: $ARGV[0]: $!\n";
$tree->write_tree($fh);
close $fh or die "make-mmdb.pl: $ARGV[0]: $!\n";
