set terminal svg size 1100,420 dynamic font 'sans,11'
set output '/work/main/bench/results/sat-gateway-1.svg'
set multiplot layout 1,2 title 'fanout livegw: 10000 viewers, high priority, max msg/s'
set title 'latency of deliveries (percentile spectrum)'
set logscale x
set xrange [1:1e5]
set xtics ('0%%' 1, '50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000)
set ylabel 'latency (ms)'
set grid
set key off
plot '/work/main/bench/results/sat-gateway-1.lat.dat' using 2:3 with steps lw 2
unset logscale x
set xrange [*:*]
set xtics auto
set title 'deliveries per second (100 ms bins)'
set xlabel 'time since the measured phase started (s)'
set ylabel 'deliveries/s'
set format y '%.0s%c'
plot '/work/main/bench/results/sat-gateway-1.rate.dat' using 1:2 with steps lw 2
unset multiplot
