import sys,re,math,collections
# pairs within (file,shape,round): ratio of lib A to lib B
A,B=sys.argv[1],sys.argv[2]
data=collections.defaultdict(dict)
for f in sys.argv[3:]:
    shape=None
    for line in open(f):
        m=re.match(r'== (\S+)',line)
        if m: shape=m.group(1); continue
        m=re.match(r'(\S+)\s+round (\d+):\s+(\d+)',line)
        if m: data[(shape,f,m.group(2))][m.group(1)]=float(m.group(3))
by=collections.defaultdict(list)
for (shape,f,r),d in data.items():
    if A in d and B in d and d[A]>0 and d[B]>0: by[shape].append(d[A]/d[B])
for shape,rs in by.items():
    g=math.exp(sum(map(math.log,rs))/len(rs)); rs.sort()
    print(f"{shape:12s} {A}/{B}: geomean {g:.3f} over {len(rs)} rounds, min {rs[0]:.2f} max {rs[-1]:.2f}")
